"""Reason codes: why a complaint is not accepted, why mediation ends."""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    """Why a complaint is not accepted (DOMAIN.md §2); outside the remit is a transfer instead."""

    NOT_CONSUMER_DISPUTE = "not_consumer_dispute"
    PAST_GUARANTEE = "past_guarantee"
    ALREADY_MEDIATED = "already_mediated"
    HANDLED_ELSEWHERE = "handled_elsewhere"
    TIME_BARRED = "time_barred"
    NO_HARM_SHOWN = "no_harm_shown"
    DISCLOSED_DEFECT_OR_MISUSE = "disclosed_defect_or_misuse"
    RESPONDENT_UNKNOWN = "respondent_unknown"
    UNLAWFUL = "unlawful"


class MediationEnd(StrEnum):
    """Why mediation is terminated (终止调解)."""

    COMPLAINANT_WITHDREW = "complainant_withdrew"
    PARTY_REFUSED = "party_refused"
    PARTY_ABSENT = "party_absent"
    WENT_TO_COURT_OR_ARBITRATION = "went_to_court_or_arbitration"
    SETTLED_PRIVATELY = "settled_privately"
    TIME_LIMIT = "time_limit"
