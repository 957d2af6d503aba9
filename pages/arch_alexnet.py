from pages.architecture import render

render("alexnet")
