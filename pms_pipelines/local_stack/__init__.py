"""The local stack: emulators, embedded Postgres and sandboxes on one machine.

Nothing that runs in production imports this package.
"""
