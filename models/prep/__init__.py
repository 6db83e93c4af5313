"""Prep sheets in the domain: the question bank, the sheet's contents and how they are read."""

from coffeechat.models.prep.bank import QuestionBank, QuestionBankError, Theme, parse_question_bank
from coffeechat.models.prep.build import PrepInputs, build_prep_context, http_url, prep_subject
from coffeechat.models.prep.context import (
    EarlierTalk,
    NoteLine,
    PrepContext,
    Question,
    QuestionGroup,
    ThreadItem,
    When,
    Who,
)
from coffeechat.models.prep.load import (
    PrepSourceMissing,
    ThankYouRules,
    load_contact_prep_context,
    load_prep_context,
    next_meeting_id,
)

__all__ = [
    "EarlierTalk",
    "NoteLine",
    "PrepContext",
    "PrepInputs",
    "PrepSourceMissing",
    "Question",
    "QuestionBank",
    "QuestionBankError",
    "QuestionGroup",
    "ThankYouRules",
    "Theme",
    "ThreadItem",
    "When",
    "Who",
    "build_prep_context",
    "http_url",
    "load_contact_prep_context",
    "load_prep_context",
    "next_meeting_id",
    "parse_question_bank",
    "prep_subject",
]
