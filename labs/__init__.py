"""Your lab code. Generated from solutions/ by `make labs`: edit the stubs here."""
