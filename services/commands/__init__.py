"""The `vtt` commands: plain functions every front end (the CLI, later the Discord bot) calls.

Each takes a `Context` (who asks, where, the KubeAPI, the clock), checks `foundry_lib.access`,
acts through the API, records an audit Event and returns a `Reply` that fits a Discord message.
"""
