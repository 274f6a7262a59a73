"""Pure core of Foundry Platform: models, rules and manifest rendering, no I/O."""
