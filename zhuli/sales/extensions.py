"""What the sales app plugs into the registries of lower apps (menu, workbench, customer view)."""
