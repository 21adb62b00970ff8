package a

const countOpen = "SELECT count(*) FROM open_tickets"

const listPlans = "SELECT id, name FROM plans"

var deleteTickets = "DELETE FROM tickets WHERE " + idIs

const idIs = "id = $1"

var listPlansVar = "SELECT id FROM plans"
