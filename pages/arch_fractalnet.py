from pages.architecture import render

render("fractalnet")
