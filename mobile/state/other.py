"""The messages, settings and sync screens (`mobile/views/other.py`): the sync sentence."""

from __future__ import annotations

from mobile.i18n import DEFAULT_LANGUAGE
from sync.client import SyncState, SyncStatus

_EN_STATUS = {
    SyncState.synced: "Everything is synced.",
    SyncState.syncing: "Syncing …",
    SyncState.offline: "Offline. Everything is kept on the phone and sent later.",
    SyncState.waiting: "Changes are waiting to be sent.",
    SyncState.attention: "The service refused something: see Messages.",
    SyncState.login: "Sign in again to send the changes. Nothing is deleted.",
}


def sync_message(status: SyncStatus | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The sync details' sentence: sync/'s own bokmål, or its English counterpart."""
    if status is None:
        return ""
    if lang == "en":
        return _EN_STATUS[status.state]
    return status.message
