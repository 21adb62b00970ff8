-- Removes closed tickets.
DELETE FROM tickets WHERE status = 'closed';
