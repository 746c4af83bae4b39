"""The phone's side of sync (docs/rules.md §11, §13).

- `sync.storage`: the seam between the store and its bytes (`StoreBackend`) and
  the native `FileBackend` (snapshot + append-only journal, one fsync per save,
  crash-safe compaction); the browser's IndexedDB backend implements the same seam.
- `sync.store.DeviceStore`: what the phone keeps — pulled data, the contact's
  entries with their local state, and the outbox of mutations. It is a facade over
  `sync.records` (an entry's three versions and their transitions, pure),
  `sync.projection` (locks, sheets, usage), `sync.merge` (push results and pull
  pages, typed by models.contract) and `sync.documents` (the state in memory and
  which documents each save touched).
- `sync.client.SyncClient`: pushes the outbox and pulls changes over httpx.
- `sync.runtime`: where the code runs (a native Python, or Pyodide in a browser);
  `blocking(call)` runs a store call off the UI loop: in a worker thread
  natively, inline in the browser (Pyodide has no threads, and the store there
  answers from memory and writes to IndexedDB asynchronously).
- `sync.cli`: `timeliste device status|sync STORE` for support.

How the app uses it (mobile/device.py; store methods can wait for the disk, so
they go through `blocking` and the UI loop never waits):

    session = await login(url, username, password)            # LoginError in bokmål
    store = await blocking(DeviceStore, store_path(app_data_folder(), url, username))
    # (in a browser: DeviceStore(await IndexedDBBackend.open(name)), sync.browser_storage)
    await blocking(store.set_account, server_url=url, username=username,
                   token=session.token, role=session.role,
                   expires_at=session.expires_at, contact_id=session.contact_id)
    client = SyncClient(store, url, session.token)
    client.subscribe(on_status)                                # SyncStatus → one line of bokmål
    await client.sync()                                        # never raises for the network

    over = await blocking(store.over_quota_after, entry)       # warn before saving
    await blocking(store.save_entry, entry)                    # natively on disk when it returns
    await store.flush()                                        # (browser: IndexedDB committed)
    await client.refresh_status(); asyncio.create_task(client.sync())

Sign-out is `store.wipe()` (the file goes); a 401 only asks for a new login
(`client.set_token`), keeping everything.
"""
