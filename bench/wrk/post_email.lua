-- (c2) Custodian: POST /v1/customers/{id}/self-service/contact-data on a random generated
-- customer, changing the e-mail address alone: the phone number sent is the one every generated
-- customer was imported with, so a write changes one search term. (c) sets a new phone number as
-- well, which on the first write to a customer changes its four phone terms too; (c2) shows how
-- much of the cost at a million customers that is. Not in the default scenario list.
-- Otherwise (c): see post_contact.lua.
POST_PHONE = "+49 30 1234567"
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "post_contact.lua")
