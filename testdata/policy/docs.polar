# Loaded through embed in ExampleAuthorizer_LoadFS (root package).
allow(user: Account, "read", doc: Document) if can_read(user, doc);
