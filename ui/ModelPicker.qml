import QtQuick
import QtQuick.Controls
import Nibble.App

// Chooses the model and precision the chat uses ("SmolLM2 135M - 4-bit (Q4_1)").
// Picking another variant mid-chat reloads and carries on the same conversation.
VariantComboBox {
    id: picker
    selectedId: Chat.variantId
    enabled: !Chat.generating && count > 0
    displayText: count > 0 ? currentText : qsTr("No model: import one in the model library")
    onPicked: (variantId) => Chat.variantId = variantId
    background: Rectangle {
        implicitHeight: 36
        radius: 10
        color: picker.hovered ? Theme.raised : Theme.surface
        border.color: picker.visualFocus ? Theme.accent : Theme.border
    }
    // Wide enough for the longest labels ("8-bit made from the 4-bit file …"),
    // opening leftwards: the picker sits at the window's right edge.
    popup.width: Math.max(width, 620)
    popup.x: width - popup.width
    // Not while the list is open: it would cover the first item.
    ToolTip.visible: hovered && currentIndex >= 0 && !popup.visible
    ToolTip.text: currentIndex >= 0 ? currentText : ""
    ToolTip.delay: 700
}
