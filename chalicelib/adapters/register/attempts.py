"""Attempt budgets in the register: one conditional counter update per try, taken before the check."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.adapters.register.items import AttemptsItem
from chalicelib.service.ports import AttemptBudget, Spent


def _refused(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


class DynamoAttemptBudget(AttemptBudget):
    """`limit` tries per key in a fixed `window`, counted by DynamoDB's atomic ADD under a condition."""

    def __init__(self, scope: str, limit: int, window: timedelta) -> None:
        self.scope = scope
        self.limit = limit
        self.window = window

    def _item(self, key: str) -> AttemptsItem:
        return AttemptsItem(f"ATTEMPTS#{self.scope}#{key}", "ATTEMPTS")

    def spend(self, key: str, now: datetime) -> Spent:
        item, moment = self._item(key), int(now.timestamp())
        ends = now + self.window
        for _ in range(2):  # a window may roll over between the two updates: then the first one applies
            try:  # the usual try: one request, whether the key's window is open or the key is new
                item.update(
                    actions=[
                        AttemptsItem.tries.set((AttemptsItem.tries | 0) + 1),
                        AttemptsItem.window_ends.set(AttemptsItem.window_ends | int(ends.timestamp())),
                        AttemptsItem.expires_at.set(AttemptsItem.expires_at | ends),
                    ],
                    condition=AttemptsItem.pk.does_not_exist()
                    | ((AttemptsItem.window_ends > moment) & (AttemptsItem.tries < self.limit)),
                )
                return Spent(0, int(item.tries))  # PynamoDB reads the item back from the update's answer
            except UpdateError as error:
                if not _refused(error):
                    raise
            try:  # an ended window: open a new one with this try
                item.update(
                    actions=[
                        AttemptsItem.tries.set(1),
                        AttemptsItem.window_ends.set(int(ends.timestamp())),
                        AttemptsItem.expires_at.set(ends),
                    ],
                    condition=AttemptsItem.pk.does_not_exist() | (AttemptsItem.window_ends <= moment),
                )
                return Spent(0, 1)
            except UpdateError as error:
                if not _refused(error):
                    raise
        try:
            current = AttemptsItem.get(item.pk, item.sk, consistent_read=True)
        except DoesNotExist:
            return Spent(1)
        return Spent(max(1, int(current.window_ends) - moment))

    def reset(self, key: str) -> None:
        self._item(key).delete()

    def refund(self, key: str) -> None:
        try:
            self._item(key).update(actions=[AttemptsItem.tries.add(-1)], condition=AttemptsItem.tries > 0)
        except UpdateError as error:
            if not _refused(error):
                raise
