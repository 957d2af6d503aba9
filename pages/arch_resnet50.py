from pages.architecture import render

render("resnet50")
