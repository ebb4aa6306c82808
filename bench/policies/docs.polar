# Owner-or-public documents.
allow(user: User, "read", doc: Document) if doc.OwnerID = user.ID;
allow(_user: User, "read", doc: Document) if doc.Public = true;
allow(user: User, "write", doc: Document) if doc.OwnerID = user.ID;
