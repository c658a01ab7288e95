"""faqbot: a non-generative FAQ chatbot that quotes curated passages verbatim, with their source.

    >>> from faqbot import FAQBot
    >>> bot = FAQBot.load()            # the shipped knowledge base
    >>> bot.ask("How long do the effects last?").kind
    'answer'

Importing faqbot is light (no web framework, no scikit-learn); those load only when needed.
"""

from .bot import FAQBot
from .errors import KnowledgeError, Problem
from .knowledge import load_knowledge
from .records import Kind, Knowledge, Reason
from .reply import Answer, Quote, SourceRef

__version__ = "0.1.0"
__all__ = ["Answer", "FAQBot", "Kind", "Knowledge", "KnowledgeError", "Problem", "Quote", "Reason", "SourceRef",
           "__version__", "load_knowledge"]
