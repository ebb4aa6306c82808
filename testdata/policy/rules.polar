can_read(_user, doc) if doc.public;
can_read(user, doc) if doc.owner_id = user.id;
