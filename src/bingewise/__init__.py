"""Bingewise."""
