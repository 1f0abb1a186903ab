-- chaos_record.lua — what the chaos suite's record i looks like, shared by the producer and the verifier.
local M = {}

local PAD = "abcdefghijklmnopqrstuvwxyz0123456789"

-- Record i's key among `keys` keys.
function M.key(i, keys) return "k" .. (i % keys) end

-- Record i's value: its number first (the verifier reads it back from
-- there), the key, then padding of varying length so batches fill unevenly.
function M.value(i, key) return ("%d|%s|%s"):format(i, key, PAD:sub(1, i % #PAD)) end

-- The record number a value starts with, or nil.
function M.number(value) return tonumber(value:match("^(%d+)|")) end

return M
