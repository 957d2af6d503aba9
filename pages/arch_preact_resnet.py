from pages.architecture import render

render("preact_resnet")
