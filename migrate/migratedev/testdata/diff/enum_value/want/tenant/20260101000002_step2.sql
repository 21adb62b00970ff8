-- Add value to enum type: "status"
ALTER TYPE "status" ADD VALUE 'held' AFTER 'open';
