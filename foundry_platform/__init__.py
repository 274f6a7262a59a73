"""The `foundry-platform` command: local simulator, release catalog and Promise generation."""
