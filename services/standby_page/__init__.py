"""The standby page: what players see at an instance's address while it is not the live one."""
