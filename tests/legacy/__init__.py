"""Tests of the legacy v1 record API family: sandbox, client, tables, comparison view."""
