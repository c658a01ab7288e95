"""Properties of `FAQBot.ask` over thousands of generated inputs (issue 6: hostile input).

Inputs: any Unicode (lone surrogates, control characters, NUL, bidi marks, combining marks, characters that NFKC
expands), random mixes of the knowledge base's own words, HTML/script and format-string fragments, very long
strings (up to ~20k characters), bytes in any encoding, and patients' own questions. For every reply: `ask` does
not raise, the kind is one of three, the disclaimer is the configured one, every quoted text is verbatim in its
source, only answers carry passages, `to_dict()` has exactly the contract keys and encodes as strict UTF-8 JSON,
and asking again gives the identical reply.

Runs are reproducible (derandomize, no example database). FAQBOT_PROPERTY_SCALE=10 tries ten times as many.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from faqbot import FAQBot
from faqbot.bot import Answer
from faqbot.text import find_question

SCALE = float(os.environ.get("FAQBOT_PROPERTY_SCALE", "1"))
KINDS = {"answer", "referral", "crisis"}
CONTRACT = {"question", "kind", "reason", "message", "passages", "related", "disclaimer"}
PASSAGE_KEYS = {"id", "text", "source", "link", "score"}
SOURCE_KEYS = {"id", "title"}

TRIED: Counter[str] = Counter()  # inputs tried per property, reported by the last test
KINDS_SEEN: Counter[str] = Counter()  # reply kinds over all inputs: the properties must meet all three
_SHARED: dict[str, FAQBot] = {}  # the session bot, for strategies that draw from its knowledge base


def _profile(examples: int) -> settings:
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, derandomize=True, database=None,
                    print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                             HealthCheck.large_base_example])


@pytest.fixture(autouse=True, scope="module")
def _share_bot(bot: FAQBot) -> None:
    _SHARED["bot"] = bot


def _bot() -> FAQBot:
    return _SHARED["bot"]


# ---------------------------------------------------------------- strategies

NASTY = [
    "\x00", "\x07", "\x1b[31m", "\x7f", "\r\n", "\t", "\u0085", "\u2028", "\u2029",  # controls and line breaks
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060",  # zero-width and soft hyphen
    "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069",  # bidi marks and overrides
    "\u0301", "\u0308", "\u20dd", "e\u0301", "\u0338",  # combining marks
    "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00",  # lone surrogates, and a pair written as two
    "\ufdfa", "\ufb03", "\u2167", "\u01c5", "\u3000", "\uff4b\uff45\uff54", "\U0001d55c",  # NFKC changes these
    "\ue000", "\U000f0000", "\U0010ffff", "\ufffd", "\uffff",  # private use, noncharacters
    "\u2019", "\u201c", "\u00a0", "\u2014",  # typographic punctuation that is folded
    "\U0001f600", "\U0001f469\u200d\U0001f4bb", "\u0627\u0644\u0643\u064a\u062a\u0627\u0645\u064a\u0646",
    "\u30b1\u30bf\u30df\u30f3", "\u0915\u0947\u091f\u093e\u092e\u093e\u0907\u0928", "k\u0435tamine",  # Cyrillic e
]
HTML = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(document.cookie)",
    "<svg onload=alert(1)>", "<svg><script>alert(1)</script></svg>", "<iframe src=\"javascript:alert(1)\">",
    "\"><script>", "</textarea><script>", "<a href='javascript:void(0)'>", "&lt;script&gt;", "&#x3C;svg&#x3E;",
    "%3Cscript%3E", "<!--", "]]>", "<?xml version=\"1.0\"?>", "{{7*7}}", "${7*7}", "{clinic_name}", "{0}", "{",
    "}", "%s%s%n", "'; DROP TABLE passages; --", "\\u0000", "\\", "../../etc/passwd", "\x00<script>",
    "<style>*{display:none}</style>", "data:text/html;base64,PHNjcmlwdD4=", "<body onload=alert(1)>",
]
SEPARATORS = [" ", "  ", "\n", ", ", "? ", ". ", "\t", "", "-", "/"]
CRISIS = [
    "i want to end my life", "I want to kill myself", "i dont want to be here anymore",
    "I have a plan to end it tonight", "i took all of my pills", "Quiero morir, i want to die",
]


def _words() -> list[str]:
    bot = _bot()
    words = {w for p in bot.passages for text in (p.text, *p.questions) for w in text.split()}
    return sorted(words)


def _questions() -> list[str]:
    return sorted({q for p in _bot().passages for q in p.questions})


unicode_text = st.text(st.characters(), max_size=200)  # every category, lone surrogates included
nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), st.characters()), max_size=60).map("".join)
kb_words = st.deferred(lambda: st.lists(st.tuples(st.sampled_from(_words()), st.sampled_from(SEPARATORS)),
                                        max_size=40).map(lambda ws: "".join(w + s for w, s in ws)))
html = st.deferred(lambda: st.lists(st.one_of(st.sampled_from(HTML), st.sampled_from(_words()),
                                              st.sampled_from(SEPARATORS), nasty_text), max_size=12).map("".join))
short_text = st.one_of(unicode_text, nasty_text, kb_words, html)


def _repeat(frag_len: tuple[str, int]) -> str:
    frag, length = frag_len
    frag = frag or "ketamine "
    return (frag * (length // len(frag) + 1))[:length]


long_text = st.deferred(lambda: st.tuples(
    st.one_of(kb_words, unicode_text, html, st.sampled_from(_questions())),
    st.one_of(st.integers(1, 20_000), st.integers(_bot().config.max_question_chars - 3,
                                                  _bot().config.max_question_chars + 3))).map(_repeat))
answerable = st.deferred(lambda: st.tuples(
    st.sampled_from(_questions()), st.sampled_from(["", "?", " please", "!!", "\u200b", " <b>"]),
    st.sampled_from([str, str.lower, str.upper, str.title]),
).map(lambda t: t[2](t[0]) + t[1]))
encoded = st.one_of(
    st.binary(max_size=300),
    st.tuples(short_text, st.sampled_from(["utf-8", "utf-16", "utf-16-le", "latin-1", "cp1252", "utf-32"])).map(
        lambda t: t[0].encode(t[1], "surrogatepass" if t[1].startswith("utf") else "replace")),
)


# ---------------------------------------------------------------- the contract


def _check(bot: FAQBot, question: Any, prop: str) -> Answer:
    """Ask `question` twice and check every property that holds for any input; return the reply."""
    TRIED[prop] += 1
    reply = bot.ask(question)
    KINDS_SEEN[reply.kind] += 1
    assert reply.kind in KINDS
    assert reply.disclaimer in _disclaimers(bot, reply.kind) and reply.disclaimer.strip()
    assert isinstance(reply.message, str) and reply.message.strip()
    assert set(reply.related) <= _known_questions(bot), "related questions come from the knowledge base only"
    assert "\x00" not in reply.question
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in reply.question)
    if reply.kind == "answer":
        assert reply.reason == "matched"
        named = {w for q in reply.passages for w in bot.passages_by_id[q.id].warn_with}  # warnings quoted beside
        assert 1 <= len(reply.passages) <= bot.config.retrieval.max_passages + len(named)
        assert len({q.id for q in reply.passages}) == len(reply.passages)
        by_id = {p.id: p for p in bot.passages}
        for quote in reply.passages:
            source = bot.knowledge.sources[quote.source.id]
            assert quote.text in source.text, f"passage {quote.id} is not verbatim in {source.id}"
            assert quote.text == by_id[quote.id].text and quote.source.id == by_id[quote.id].source
            assert quote.source.title == source.title
    else:
        assert reply.passages == ()
    if len(reply.question) > bot.config.max_question_chars:
        # a long message is answered only through a question of its own within the limit
        asked = find_question(reply.question, bot.config.max_question_chars)
        assert reply.reason != "too_long" or asked is None
        if reply.kind == "answer":
            assert asked is not None

    d = reply.to_dict()
    assert set(d) == CONTRACT
    assert d["kind"] == reply.kind and d["disclaimer"] == reply.disclaimer
    for p in d["passages"]:
        assert set(p) == PASSAGE_KEYS and set(p["source"]) == SOURCE_KEYS
    assert all(isinstance(r, str) for r in d["related"])
    data = json.dumps(d, ensure_ascii=False, allow_nan=False).encode("utf-8")  # strict: no surrogates, no NaN
    assert json.loads(data) == d

    again = bot.ask(question)
    assert again.to_dict() == d, "the same question got a different reply"
    return reply


def _known_questions(bot: FAQBot) -> set[str]:
    return {q for p in bot.passages for q in p.questions} | set(bot.config.examples)


def _disclaimers(bot: FAQBot, kind: str) -> set[str]:
    """The fixed disclaimers of a reply kind, in every language the bot writes."""
    cfg = bot.config
    return {cfg.disclaimers[kind]} | {t.disclaimers[kind] for t in cfg.translations.values()}


def _referral_reasons(bot: FAQBot) -> set[str]:
    return {r.reason for r in bot.knowledge.safety.referrals}


# ---------------------------------------------------------------- properties


@_profile(1500)
@given(q=short_text)
@example(q="")
@example(q="\x00\x00\x00")
@example(q="\ud800")
@example(q="\udfff what is ketamine \ud800")
@example(q="\u202ewhat is ketamine used for?\u202c")
@example(q="e\u0301" * 500)
@example(q="\ufdfa" * 150)  # each expands to 18 characters under NFKC: over the limit only after normalising
def test_any_text_gets_a_proper_reply(bot, q):
    _check(bot, q, "unicode and mixed text")


@_profile(1200)
@given(q=kb_words)
def test_mixes_of_knowledge_base_words(bot, q):
    _check(bot, q, "knowledge-base word mixes")


@_profile(600)
@given(q=html)
@example(q="<script>alert(1)</script> what is ketamine used for?")
@example(q="{clinic_name} {0} {max_chars} %s")
def test_html_and_script_fragments(bot, q):
    reply = _check(bot, q, "HTML and script fragments")
    said = (reply.message + "".join(reply.related) + "".join(p.text for p in reply.passages)).lower()
    for fragment in ("<script", "onerror=", "javascript:", "<svg", "<iframe"):  # nothing typed is echoed back
        assert fragment not in said


@_profile(600)
@given(q=answerable)
def test_patients_questions_quote_verbatim(bot, q):
    _check(bot, q, "patients' questions")


@_profile(600)
@given(raw=encoded)
@example(raw=b"\xff\xfe\x00\x00")
@example(raw=b"\xc3\x28 what is ketamine")
@example(raw="what is ketamine used for?".encode("utf-16"))
def test_bytes_get_a_reply_and_utf8_bytes_mean_their_text(bot, raw):
    reply = _check(bot, raw, "bytes")
    for same in (bytearray(raw), memoryview(raw)):
        assert bot.ask(same).to_dict() == reply.to_dict()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert bot.ask(text).to_dict() == reply.to_dict()


@_profile(150)
@given(q=long_text)
@example(q="What is ketamine used for? " * 800)
def test_long_strings(bot, q):
    reply = _check(bot, q, "long strings")
    if len(reply.question) > bot.config.max_question_chars and reply.kind != "crisis":
        assert reply.kind == "referral" or find_question(reply.question, bot.config.max_question_chars)


@_profile(600)
@given(prefix=st.one_of(short_text, long_text), sep=st.sampled_from([" ", ". ", "\n", "... ", " - "]),
       crisis=st.sampled_from(CRISIS), suffix=st.one_of(st.just(""), st.sampled_from(SEPARATORS[:4]).map(
           lambda s: s + "what is ketamine used for?")))
@example(prefix="x" * 30_000, sep=" ", crisis=CRISIS[0], suffix="")
def test_a_crisis_sentence_is_always_a_crisis(bot, prefix, sep, crisis, suffix):
    reply = _check(bot, prefix + sep + crisis + suffix, "crisis appended")
    assert (reply.kind, reply.reason) == ("crisis", "crisis"), reply.question[-200:]
    assert all(r.contact in reply.message for r in bot.config.crisis_resources)


@pytest.mark.parametrize("q", [None, 0, -1, 3.5, float("nan"), True, ["what", "is", "ketamine"], {"q": "x"},
                               ("dose",), object(), b"", bytearray(b"ketamine"), memoryview(b"\x80\x81")],
                         ids=lambda v: type(v).__name__)
def test_non_text_objects(bot, q):
    _check(bot, q, "non-text objects")


def test_over_the_limit_without_a_question_is_too_long_unless_crisis(bot):
    reply = bot.ask("I have read a lot about what ketamine is used for. " * 60)
    assert len(reply.question) > bot.config.max_question_chars
    assert (reply.kind, reply.reason) == ("referral", "too_long")
    assert bot.ask("I have read a lot about ketamine. " * 80 + "i want to end my life").kind == "crisis"


def test_over_the_limit_the_question_at_the_end_is_triaged_and_answered(bot):
    story = "I have read a lot about ketamine and I have many questions. " * 60
    assert (bot.ask(story + "How many mg of ketamine should I take?").reason) == "dose"
    assert bot.ask(story + "What is ketamine used for?").kind == "answer"


PROPERTIES = {"unicode and mixed text", "knowledge-base word mixes", "HTML and script fragments",
              "patients' questions", "bytes", "long strings", "crisis appended", "non-text objects"}


def test_zz_inputs_tried(capsys):
    """Report how many inputs were tried (each asked twice); meaningful when the whole file ran."""
    if set(TRIED) != PROPERTIES:
        pytest.skip(f"only {sorted(TRIED)} ran")
    total = sum(TRIED.values())
    with capsys.disabled():
        print(f"\n[properties] {total} inputs tried: " + ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()))
              + "; replies: " + ", ".join(f"{k} {v}" for k, v in sorted(KINDS_SEEN.items())))
    assert total >= 3000 * min(SCALE, 1)
    assert min(KINDS_SEEN[k] for k in KINDS) >= 100 * min(SCALE, 1), KINDS_SEEN
