-- A client allowed to register users on behalf of people signing up (the
-- API server's `PUT /api/user`). Off for every existing client.
ALTER TABLE clients ADD COLUMN can_register BOOLEAN NOT NULL DEFAULT false;
