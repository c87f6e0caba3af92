import QtQuick
import QtQuick.Controls
import Nibble.App

// A dropdown of every model variant that shows the variant selectedId names.
// It follows that variant by id, not by row: importing a model or making a
// variant moves the rows, and a kept row index would then show another model.
// Each entry says under its name what the precision costs and buys: the
// file's size and, once measured, how closely it follows its reference.
ComboBox {
    id: box
    property var selectedId: 0
    // The user chose the variant at a row (selectedId follows only when the owner sets it).
    signal picked(var variantId)

    function follow() { currentIndex = Variants.indexOf(selectedId) }

    model: Variants
    textRole: "label"
    valueRole: "variantId"
    delegate: ItemDelegate {
        id: entry
        required property int index
        required property string label
        required property string sizeText
        required property var sameTopPercent
        required property var kldMean
        width: ListView.view ? ListView.view.width : box.width
        highlighted: box.highlightedIndex === index
        contentItem: Column {
            spacing: 1
            Label {
                width: parent.width
                text: entry.label
                elide: Text.ElideRight
                color: entry.highlighted ? Theme.accentText : Theme.text
                font.weight: entry.index === box.currentIndex ? Font.DemiBold : Font.Normal
            }
            Label {
                objectName: "variantDetail"
                width: parent.width
                elide: Text.ElideRight
                text: entry.sameTopPercent !== undefined && entry.sameTopPercent !== null
                      ? qsTr("%1 · same top token %2%, KL divergence %3").arg(entry.sizeText)
                            .arg(Number(entry.sameTopPercent).toFixed(1)).arg(Number(entry.kldMean).toFixed(4))
                      : qsTr("%1 · quality not measured yet").arg(entry.sizeText)
                color: entry.highlighted ? Theme.accentText : Theme.mutedText
                font.pixelSize: 11
            }
        }
    }
    Component.onCompleted: follow()
    onSelectedIdChanged: follow()
    onActivated: (index) => {
        picked(Variants.variantIdAt(index))
        // When the owner kept its variant (it refused the pick), show that one again.
        follow()
    }
    Connections {
        target: Variants
        // After the view has taken in the new rows, so the index is not reset under us.
        function onCountChanged() { box.follow() }
        function onModelReset() { followLater.restart() }
    }
    // Once the reset has been taken in. Qt.callLater would do, but the QML
    // linter of Qt 6.4 cannot tell that it is a function.
    Timer { id: followLater; interval: 0; onTriggered: box.follow() }
}
