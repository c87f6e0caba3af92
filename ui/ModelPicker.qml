import QtQuick
import QtQuick.Controls

// Chooses the model and precision the chat uses ("SmolLM2 135M - 4-bit (Q4_1)").
// Picking another variant mid-chat reloads and carries on the same conversation.
ComboBox {
    id: picker
    model: variants
    textRole: "label"
    valueRole: "variantId"
    enabled: !chat.generating && count > 0
    currentIndex: variants.indexOf(chat.variantId)
    displayText: count > 0 ? currentText : qsTr("No model: import one in the model library")
    onActivated: (index) => chat.variantId = variants.variantIdAt(index)
    background: Rectangle {
        implicitHeight: 36
        radius: 10
        color: picker.hovered ? theme.raised : theme.surface
        border.color: picker.visualFocus ? theme.accent : theme.border
    }
    ToolTip.visible: hovered && currentIndex >= 0
    ToolTip.text: currentIndex >= 0 ? currentText : ""
    ToolTip.delay: 700
}
