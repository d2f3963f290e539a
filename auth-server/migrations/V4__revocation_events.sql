-- Every access token that stops being usable before it expires is announced
-- on the channel `access_token_revoked`, with the hex SHA-256 of the token
-- (the digest resource servers cache its introspection answer under) as the
-- payload. PostgreSQL delivers it when the transaction commits, to every
-- auth-server replica listening, which passes it on to the resource servers
-- subscribed to its revocation stream.
--
-- A trigger rather than a call at each place that revokes: the revocation
-- endpoint, a family revoked for a reused refresh token or a replayed
-- authorization code, a disabled user, and a deleted client (whose tokens
-- go by ON DELETE CASCADE) all announce, whichever replica or admin command
-- made the change. Deleting expired tokens announces nothing.
CREATE FUNCTION announce_access_token_revocation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NULL
       AND OLD.expires_at > now()
       AND (TG_OP = 'DELETE' OR NEW.revoked_at IS NOT NULL) THEN
        PERFORM pg_notify('access_token_revoked', encode(OLD.token_hash, 'hex'));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER access_tokens_announce_revocation
    AFTER UPDATE OF revoked_at OR DELETE ON access_tokens
    FOR EACH ROW EXECUTE FUNCTION announce_access_token_revocation();
