"""Storage: SQLModel models, the engine, repositories (the only SQL) and migrations."""
