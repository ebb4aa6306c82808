# A folder tree: read and write access are inherited from the parent folder,
# at any depth. The data contains a parent cycle; both answers must stop on it.

actor User {}

allow(user: User, "read", folder: Folder) if can_read(user, folder);
allow(user: User, "write", folder: Folder) if can_write(user, folder);

allow(user: User, "read", doc: Document) if doc.OwnerID = user.ID;
allow(user: User, "read", doc: Document) if can_read(user, doc.Folder);
allow(user: User, "write", doc: Document) if
  doc.OwnerID = user.ID and not doc.Locked;
allow(user: User, "write", doc: Document) if
  can_write(user, doc.Folder) and not doc.Locked;

can_read(_: User, folder: Folder) if folder.Public = true;
can_read(user: User, folder: Folder) if folder.OwnerID = user.ID;
can_read(user: User, folder: Folder) if
  grant in folder.Grants and grant.UserID = user.ID;
can_read(user: User, folder: Folder) if can_read(user, folder.Parent);

can_write(user: User, folder: Folder) if folder.OwnerID = user.ID;
can_write(user: User, folder: Folder) if
  grant in user.Grants and grant.FolderID = folder.ID and grant.Role = "editor";
can_write(user: User, folder: Folder) if can_write(user, folder.Parent);
