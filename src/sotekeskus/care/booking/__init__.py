"""Booking: schedules (weekly templates + exceptions), slots, appointments, T3."""
