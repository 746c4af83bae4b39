"""The phone's side of sync (SPEC §4 "Sync", §5 push/pull).

- `sync.storage.AtomicJSONStorage`: a TinyDB storage that a crash cannot destroy.
- `sync.store.DeviceStore`: what the phone keeps — pulled data, the contact's
  entries with their local state, and the outbox of mutations.
- `sync.client.SyncClient`: pushes the outbox and pulls changes over httpx.

Store methods block (disk and fsync); the app calls them through
`asyncio.to_thread` so the UI loop never waits on the disk.
"""
