from pages.architecture import render

render("vgg16")
