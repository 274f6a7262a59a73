"""Pipeline entrypoints, one small module per Promise workflow: gather → decide → emit."""
