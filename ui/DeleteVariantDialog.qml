import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Asks before a variant leaves the library, saying whether its file goes too
// (only files Nibble made are deleted; imported ones stay where they are).
Dialog {
    id: dialog
    property var variantId: 0
    property string label
    property string sizeText
    property bool deletesFile: false

    function openFor(id, variantLabel, size) {
        variantId = id
        label = variantLabel
        sizeText = size
        deletesFile = Library.ownsFile(id)
        open()
    }

    objectName: "deleteVariantDialog"
    parent: Overlay.overlay
    anchors.centerIn: parent
    width: Math.min(480, parent ? parent.width - 48 : 480)
    modal: true
    title: deletesFile ? qsTr("Delete %1?").arg(label) : qsTr("Remove %1 from the library?").arg(label)
    palette.window: Theme.surface

    Label {
        width: parent.width
        text: dialog.deletesFile
              ? qsTr("Its file (%1) will be deleted from disk. This cannot be undone.").arg(dialog.sizeText)
              : qsTr("Its file stays on disk; you can import it again later.")
        color: Theme.mutedText
        wrapMode: Text.Wrap
    }

    footer: DialogButtonBox {
        Button {
            text: qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        Button {
            objectName: "confirmDeleteButton"
            text: dialog.deletesFile ? qsTr("Delete") : qsTr("Remove")
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            palette.buttonText: Theme.danger
        }
    }

    onAccepted: Library.deleteVariant(variantId)
}
