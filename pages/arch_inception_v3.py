from pages.architecture import render

render("inception_v3")
