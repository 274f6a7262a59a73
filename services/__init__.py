"""Long-running services (monitor, standby page, Discord bot) — each imports foundry_lib, never each other."""
