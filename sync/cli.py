"""`timeliste device status|sync STORE`: a support person's look into a phone's store.

`status` reads the store and says what waits, what was refused and when it
last synced, without showing notes, names or activities. `sync` runs one
sync with the token the store holds (or a new one from `--token`).
Exit codes of `sync`: 0 synced or waiting, 1 offline, 2 needs attention,
3 log in again.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from pathlib import Path

from sync.client import SyncClient, SyncState
from sync.store import DeviceStore, StoreError

EXIT_CODES = {
    SyncState.synced: 0,
    SyncState.waiting: 0,
    SyncState.offline: 1,
    SyncState.attention: 2,
    SyncState.login: 3,
}


def describe(store: DeviceStore) -> list[str]:
    """Lines for `status`: counts and states, no personal data beyond the username."""
    account = store.account()
    outbox = store.outbox()
    kinds = Counter(m.type for m in outbox)
    entries = store.entries()
    states = Counter(local.state.value for local in entries)
    last = store.last_synced_at()
    by_state = ", ".join(f"{k}: {v}" for k, v in sorted(states.items())) or "ingen"
    waiting = str(len(outbox))
    if outbox:
        waiting += f" ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))})"
    rows = [
        ("Lager", store.path.name),
        ("Tjener", account.server_url if account else "(ikke innlogget)"),
        ("Bruker", account.username if account else "-"),
        ("Enhet", store.device_id()),
        ("Innlogging", "token lagret" if account and account.token else "mangler"),
        ("Sist synkronisert", last.isoformat(timespec="seconds") if last else "aldri"),
        ("Markør (cursor)", str(store.cursor())),
        ("Vedtak", str(len(store.decisions()))),
        ("Føringer", f"{len(entries)} ({by_state})"),
        ("Venter på sending", waiting),
    ]
    lines = [f"{label + ':':<19}{value}" for label, value in rows]
    if outbox:
        lines.append(f"{'Endrings-id-er:':<19}{outbox[0].mutation_id}–{outbox[-1].mutation_id}")
    refused = store.rejected()
    signatures = [s for s in store.signatures() if s.state.value == "rejected"]
    lines.append(f"{'Avvist av tjener:':<19}{len(refused) + len(signatures)}")
    for local in refused:
        reasons = "; ".join(p.message for p in local.errors) or "ingen grunn oppgitt"
        lines.append(f"  føring {local.id}: {reasons}")
    for signature in signatures:
        reasons = "; ".join(p.message for p in signature.errors) or "ingen grunn oppgitt"
        lines.append(f"  signatur {signature.signature.period}: {reasons}")
    return lines


def _open(path: Path) -> DeviceStore | None:
    if not path.exists():
        print(f"Fant ikke lageret {path}.")
        return None
    try:
        return DeviceStore(path)
    except StoreError as error:
        print(error)
        return None


def status_command(args: argparse.Namespace) -> int:
    store = _open(args.store)
    if store is None:
        return 1
    with store:
        print("\n".join(describe(store)))
    return 0


async def _sync_once(store: DeviceStore, server: str, token: str) -> SyncState:
    async with SyncClient(store, server, token) as client:
        status = await client.sync()
    print(status.message)
    if status.error and status.error != status.message:
        print(status.error)
    return status.state


def sync_command(args: argparse.Namespace) -> int:
    store = _open(args.store)
    if store is None:
        return 1
    with store:
        account = store.account()
        server = args.server or (account.server_url if account else None)
        token = args.token or (account.token if account else None)
        if not server:
            print("Lageret vet ikke hvilken tjener det hører til: oppgi --server.")
            return 1
        if not token:
            print("Lageret har ingen gyldig innlogging: oppgi --token.")
            return EXIT_CODES[SyncState.login]
        if args.token and account is not None:
            store.set_account(
                server_url=server,
                username=account.username,
                token=args.token,
                role=account.role,
                expires_at=account.expires_at,
                contact_id=account.contact_id,
            )
        state = asyncio.run(_sync_once(store, server, token))
        print("\n".join(describe(store)))
    return EXIT_CODES.get(state, 1)
