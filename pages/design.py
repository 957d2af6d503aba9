"""Design your own network: a CNN layer by layer, every number live, mistakes at their layer, exports."""

from ui.first_visit import through_app

through_app()

from ui.designer import render

render()
