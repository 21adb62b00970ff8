-- name: CreateTicket :execlastid
INSERT INTO tickets (title) VALUES ($1);
