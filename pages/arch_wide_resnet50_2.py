from pages.architecture import render

render("wide_resnet50_2")
