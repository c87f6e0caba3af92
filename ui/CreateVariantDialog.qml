import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Picks the precision of a new variant of one in the library: 8-bit, 4-bit,
// 4-bit importance-aware or error-compensated (with what those calibrate on),
// and says so when the source is too large for a recipe.
Dialog {
    id: dialog
    property var sourceId: 0
    property string sourceLabel
    property string recipe: "Q8_0"
    property var calibration: ({})
    // Why the chosen recipe cannot be made from this source; empty when it can.
    readonly property string refusal: visible ? Builder.refusal(sourceId, recipe) : ""

    function openFor(variantId, label) {
        sourceId = variantId
        sourceLabel = label
        recipe = "Q8_0"
        calibration = Builder.calibrationSource()
        open()
    }

    objectName: "createVariantDialog"
    parent: Overlay.overlay
    anchors.centerIn: parent
    width: Math.min(560, parent ? parent.width - 48 : 560)
    modal: true
    title: qsTr("Create a variant")
    palette.window: Theme.surface

    ColumnLayout {
        anchors.fill: parent
        spacing: 10
        Label {
            Layout.fillWidth: true
            text: qsTr("A new file made from %1, saved in Nibble's models folder. The original stays as it is.").arg(dialog.sourceLabel)
            color: Theme.mutedText
            wrapMode: Text.Wrap
        }
        Repeater {
            model: Builder.recipes
            delegate: RadioButton {
                id: choice
                required property var modelData
                objectName: "recipe_" + modelData.key
                Layout.fillWidth: true
                // Also places the indicator at the start; the content item draws the words.
                text: modelData.label
                checked: dialog.recipe === modelData.key
                onToggled: if (checked) dialog.recipe = modelData.key
                contentItem: ColumnLayout {
                    spacing: 2
                    Label {
                        leftPadding: choice.indicator.width + choice.spacing
                        text: choice.modelData.label
                        color: Theme.text
                        font.weight: Font.DemiBold
                    }
                    Label {
                        Layout.fillWidth: true
                        leftPadding: choice.indicator.width + choice.spacing
                        text: choice.modelData.detail
                              + (choice.modelData.key === "Q4_K_M-imat" || choice.modelData.key === "Q4_K_M-comp"
                                 ? " " + (dialog.calibration.text || "") : "")
                        color: Theme.mutedText
                        font.pixelSize: 12
                        wrapMode: Text.Wrap
                    }
                }
            }
        }
        Label {
            objectName: "recipeRefusal"
            Layout.fillWidth: true
            visible: dialog.refusal.length > 0
            text: dialog.refusal
            color: Theme.danger
            wrapMode: Text.Wrap
        }
    }

    footer: DialogButtonBox {
        Button {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        Button {
            objectName: "createVariantConfirm"
            text: qsTr("Create")
            enabled: dialog.refusal.length === 0
            // A disabled highlighted button looks the same as an enabled one in the Basic style.
            highlighted: enabled
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
    }

    onAccepted: Builder.create(sourceId, recipe)
}
