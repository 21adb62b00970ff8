// Package b declares SQL used by package a.
package b

// ListTickets is declared away from the call that runs it.
const ListTickets = "SELECT id, title FROM tickets"
