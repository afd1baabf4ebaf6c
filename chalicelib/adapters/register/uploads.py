"""Evidence uploads in the register: one item per upload allowed, linked in the case's own transaction
(`cases.DynamoCaseRepository.add`)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.register.items import UPLOAD_SK, UploadItem, upload_key
from chalicelib.service.ports import Upload, Uploads


class DynamoUploads(Uploads):
    def add(self, upload: Upload) -> None:
        UploadItem(
            upload_key(upload.id),
            UPLOAD_SK,
            key=upload.key,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            created_at=upload.created_at.isoformat(),
            expires_at=upload.expires_at,
        ).save(condition=UploadItem.pk.does_not_exist())  # a new random id: never another's

    def get(self, upload_id: str) -> Upload | None:
        try:
            item = UploadItem.get(upload_key(upload_id), UPLOAD_SK, consistent_read=True)
        except DoesNotExist:
            return None
        created = datetime.fromisoformat(item.created_at)
        return Upload(
            id=upload_id,
            key=item.key,
            filename=item.filename,
            content_type=item.content_type,
            size=int(item.size),
            created_at=created,
            expires_at=item.expires_at.astimezone(created.tzinfo),
            case_id=item.case_id,
        )
