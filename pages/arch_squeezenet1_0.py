from pages.architecture import render

render("squeezenet1_0")
