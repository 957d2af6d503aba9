"""A live class: start a room, ask the room, answer on a phone (ui.classroom)."""

from ui.first_visit import through_app

through_app()

from ui.classroom import render

render()
