from ui.first_visit import through_app

through_app()

from ui.architecture import render

render("unet")
