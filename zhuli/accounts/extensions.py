"""UI extension entries (menu, sections, cards, settings pages) this app registers."""
