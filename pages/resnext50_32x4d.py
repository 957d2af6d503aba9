from ui.first_visit import through_app

through_app()

from ui.architecture import render

render("resnext50_32x4d")
